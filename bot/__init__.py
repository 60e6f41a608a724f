"""awarebot core: platform-neutral knowledge, matching, safety routing, referrals and replies."""

__version__ = "0.1.0"
