"""The gateway's stored events for operators: filtered, live, one by one, replayed."""
