"""What makes Dinghuo a SaaS: tenants, auth, billing, jobs, events, audit."""
