"""The built-in exporters of kneeguide: FHIR R4, an HTML leaflet and a PDF leaflet.

Each module is a plugin registered through the ``kneeguide.exporters`` entry
point group, exactly as a third party's would be.
"""
