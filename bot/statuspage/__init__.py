"""Atlassian Statuspage: the public face of an incident, as an adapter at the edge."""
