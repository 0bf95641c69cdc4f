"""Categories (Pluggy's tree) and each company's own categorisation rules."""
