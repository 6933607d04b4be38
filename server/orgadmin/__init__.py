"""The admin's organisation pages' services: the area tree, users, facilities."""
