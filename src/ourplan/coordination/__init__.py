"""Co-ordination tasks: actions given to professionals or services, review tasks from the plan's review
date, the staff task worklist, and the notifications that go with them."""
