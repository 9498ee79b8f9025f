"""The therapist panel: Flask app factory, pages, JSON API and live stream."""
