"""Outcomes of meetings made public: the public summary, its list and its feed."""
