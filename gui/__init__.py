"""Backprop Studio's Qt application: it draws what `sim` computes."""
