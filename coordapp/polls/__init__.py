"""Finding a date: a scheduling poll on a draft meeting (candidate slots, the people asked,
their answers) that turns into the meeting's date and its invitations."""
