"""Items: a company's connections to a bank through Pluggy, with MFA and what to do next."""
