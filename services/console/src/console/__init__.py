"""The web console: operators' view of every event, and each company's view of its money."""
