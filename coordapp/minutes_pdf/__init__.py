"""The minutes PDF: rendered once per submitted version by the worker, then signed by each
chair in turn (one PAdES signature per chair, each an incremental update), and downloaded.

- render.py: the HTML of the document and the unsigned PDF with one empty field per chair;
- signing.py: who may sign, and signing a chair's field under a lock on the document;
- tasks.py: the worker jobs `render_minutes_pdf(version_id)` and `sign_approval(approval_id)`;
- routes.py: downloads (accounts and invitees), "Try again", signing with one's own
  PKCS#12 certificate.

WeasyPrint and pyHanko are imported only inside functions that need them: the web process
never renders, and signs only when a chair uploads their own certificate.
"""
