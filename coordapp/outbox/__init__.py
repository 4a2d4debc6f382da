"""The outgoing-mail page: what was sent to whom, what failed and why, retries. The outbox
itself (queueing, writing, delivering) is infrastructure: coordapp/mail/."""
