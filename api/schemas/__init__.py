"""Request and response models of the REST API (pydantic). Ids travel as strings."""
