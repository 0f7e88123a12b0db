"""Learning's rules. Services never commit (the request scope or the job does) and check
permissions themselves (scope first: another learner's object is a 404; a visible object the
caller may not change is a 403)."""
