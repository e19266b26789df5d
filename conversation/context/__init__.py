"""Fitting a branch's history into a model's context window, with a rolling summary of what falls out.

:mod:`.windows` knows each model family's window, :mod:`.fitting` decides (purely) which
messages stay and what the summary must cover, :mod:`.summary_prompt` words the request for
a summary, and :mod:`.builder` ties them to the store and the model call.
"""
