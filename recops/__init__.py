"""recops: operate call recordings in Genesys Cloud from Jupyter.

``import recops`` is cheap: the official SDK (``PureCloudPlatformClientV2``, ~1.8 s to import)
is loaded only when a call needs it.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
