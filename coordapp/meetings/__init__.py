"""Series and meetings: numbering, local times, status changes and their pages."""
