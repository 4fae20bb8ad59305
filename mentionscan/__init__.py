"""mentionscan: find what the web writes about your product, and follow each mention up."""

__version__ = "0.1.0"
