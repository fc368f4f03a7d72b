"""Locales as data: regions, UI strings and translations, checked by ``validate``.

``files`` describes the locale files of a guidance folder, ``texts`` names
every translatable string by a stable key, ``core`` applies a locale to
validated content (``Guidance.localized``), ``checks`` and
``translation_checks`` are the ``validate`` checks, and ``reading`` grades
Spanish text.  docs/localisation.md describes the whole.
"""
