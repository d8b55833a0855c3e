"""The torch twins of ``scratch``: the same components built the way a PyTorch user would.

Mirrors ``scratch/`` file for file. Where torch has the component built in, the twin *is*
torch's (re-exported under the scratch name, so the pairing is explicit); where it has not
(the seed's models, datasets, receptive-field probes), it is written here with autograd.
"""
