"""Projections out of the store -> igraph/networkx/pandas -> scores, communities, corridors, paths."""
