"""The work each Lambda does, as plain functions over Services: the handlers in functions/ only
parse the event and call these."""
