"""Flask app factory: ``create_app(station, config=None)``."""

from flask import Flask

from webpanel.api import api, http_error
from webpanel.pages import pages


def create_app(station, config: dict | None = None) -> Flask:
    """The panel for ``station`` (anything with the Station service API)."""
    app = Flask(__name__)
    app.config.update(JSON_SORT_KEYS=False, MAX_CONTENT_LENGTH=1 << 20)
    app.config.update(config or {})
    app.extensions["station"] = station
    app.register_blueprint(api)
    app.register_blueprint(pages)
    app.register_error_handler(404, http_error)
    app.register_error_handler(405, http_error)
    return app
