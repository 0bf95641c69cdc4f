"""PIX payments through Pluggy's payment initiation, and automatic PIX mandates."""
