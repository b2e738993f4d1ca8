"""A faithful stand-in for the Planning Center Online API, served over real HTTP.

    from pco_simulator import Simulator
    with Simulator(people=500, seed=7) as sim:
        requests.get(sim.url + "/people/v2/people", auth=sim.auth)
"""
from .config import OAuthClient, Quirks, SimConfig
from .server import Simulator
from .store import Store

__all__ = ["OAuthClient", "Quirks", "SimConfig", "Simulator", "Store"]
