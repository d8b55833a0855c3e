"""The MNIST challenge: a tiny residual CNN trained with torch, and run again by its NumPy twin."""
