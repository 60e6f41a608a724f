"""Bundled knowledge: curated entries (entries/*.yaml), synonyms and the referral directory.

A package only so that the YAML ships with an install and is found with importlib.resources.
"""
