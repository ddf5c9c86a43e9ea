"""The project's tests, beside the code they test: ``make test`` runs them."""
