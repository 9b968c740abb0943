"""Publishing the cards where people read them: a static site with a leaderboard, and Hub model cards."""

from zoo.publish.hf import hf_cards
from zoo.publish.leaderboard import LeaderboardRow, leaderboard
from zoo.publish.site import BuiltSite, build_site, card_templates, serve

__all__ = ["BuiltSite", "LeaderboardRow", "build_site", "card_templates", "hf_cards", "leaderboard", "serve"]
