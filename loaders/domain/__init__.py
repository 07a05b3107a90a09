"""The shared domain layer: rules and reference data both the loaders and the analytics use, defined once.

* :mod:`~loaders.domain.parsing` - field parsers and the normalisation rules behind keys (dates, FFL license
  numbers, serials, manufacturers, states);
* :mod:`~loaders.domain.locations` - Location keys, city normalisation, offline geocoding;
* :mod:`~loaders.domain.names` - person-name and postal-address normalisers;
* :mod:`~loaders.domain.policy` - ATF's zero-tolerance policy period and the violations it singles out;
* :mod:`~loaders.domain.reference`, :mod:`~loaders.domain.countries`, :mod:`~loaders.domain.hotspots` - the
  public reference tables shipped in ``loaders/refdata``;
* :mod:`~loaders.domain.needs` - what each analysis needs loaded.

Nothing here reads an input file or writes to a store. The layering (``tests/test_layers.py``): this package
imports nothing from the rest of ``loaders`` nor from ``algorithms``, ``api`` or ``exports``; ``algorithms``
may import from ``loaders`` only this package.
"""
