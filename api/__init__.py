"""osteokg HTTP API (Flask). Arrives with the API issue."""
