"""The chatbot pipeline: answers, sessions and one flat table per flow."""
