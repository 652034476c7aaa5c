"""Data files shipped with Backprop Studio (lessons); installed as ``backprop_studio_assets``."""
