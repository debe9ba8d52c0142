import Synapse
Tutorial.runExample()
