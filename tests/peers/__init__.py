"""Real peers (Kamailio, baresip, PulseAudio) for end-to-end tests."""
