"""Dead letters over HTTP for operators: each consumer queue's DLQ counted, shown, replayed."""
