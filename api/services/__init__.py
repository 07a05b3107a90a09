"""What the HTTP API does, one function per endpoint; routers only parse, call one of these and return."""
