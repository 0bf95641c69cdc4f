"""Development and test support, never installed in an image: each service's PostgreSQL role and
database (`finhub_dev.provisioning`, the `finhub-provision` command) and the pytest fixtures every
service's tests share (`finhub_dev.testing`)."""
