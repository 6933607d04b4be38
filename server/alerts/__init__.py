"""Special reports (特报) raised to supervisors and the township health centre, and the live
channel that tells open pages about new fever reports, events and alerts."""
