"""Functional building blocks behind torch.nn.functional, split by family."""
