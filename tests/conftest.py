"""Shared test settings: hypothesis without deadlines (timing on shared cores is noisy).

``HYPOTHESIS_PROFILE=stress pytest ...`` runs 20 times as many examples.
"""

import os

from hypothesis import settings

settings.register_profile("mselib", deadline=None, max_examples=100)
settings.register_profile("stress", deadline=None, max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "mselib"))
