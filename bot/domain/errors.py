class IncidentError(Exception):
    """A request the incident rules refuse; the message is shown to the user as is."""


class DuplicateDelivery(Exception):
    """The same Slack request arrived again; it was already recorded once."""
