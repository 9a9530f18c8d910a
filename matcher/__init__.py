"""faqbot's matcher: finds the knowledge-base entry that answers a Russian question."""

from matcher.engine import Matcher
from matcher.errors import KnowledgeBaseError, KnowledgeBaseErrors, MatcherError
from matcher.knowledge import Entry, KnowledgeBase, Link
from matcher.loading import load_knowledge_base
from matcher.match import Action, Candidate, Match
from matcher.morph import Morphology, shared_morphology
from matcher.settings import MatcherSettings, ScoreWeights, Thresholds

__all__ = [
    "Action",
    "Candidate",
    "Entry",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "KnowledgeBaseErrors",
    "Link",
    "Match",
    "Matcher",
    "MatcherError",
    "MatcherSettings",
    "Morphology",
    "ScoreWeights",
    "Thresholds",
    "load_knowledge_base",
    "shared_morphology",
]
