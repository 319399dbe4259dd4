"""Views of the whole shelf rather than one question: the evidence map (themes against documents, countries, ...)."""
