"""Transaction syncs: jobs on banking's own work queue, incremental through Pluggy's cursor."""
