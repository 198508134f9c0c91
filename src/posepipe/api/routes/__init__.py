"""One module per route group; `posepipe.api.app` includes each router with one line."""
