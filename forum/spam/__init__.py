"""An explainable spam filter for guest and member comments: pure Python, no services."""
