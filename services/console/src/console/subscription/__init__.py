"""A company's subscription: plan, status, usage against limits, invoices, checkout, portal."""
