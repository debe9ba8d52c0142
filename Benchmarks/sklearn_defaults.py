"""Compares `synapse train` with its defaults against scikit-learn's MLPClassifier defaults
(after StandardScaler) on three scikit-learn data sets, 3 stratified 75/25 splits each.
Run from the repository after `swift build -c release`; needs numpy and scikit-learn.
It writes train.csv, test.csv and m.safetensors in the current directory."""
import numpy as np, subprocess, json, warnings
from sklearn.datasets import load_digits, load_wine, load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.pipeline import make_pipeline
warnings.filterwarnings("ignore")
import os, sys
S = os.environ.get("SYNAPSE", ".build/release/synapse")
for name, loader in [("digits", load_digits), ("wine", load_wine), ("breast_cancer", load_breast_cancer)]:
    X, y = loader(return_X_y=True)
    sk, sy = [], []
    for seed in range(3):
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)
        clf = make_pipeline(StandardScaler(), MLPClassifier(random_state=seed)).fit(Xtr, ytr)
        sk.append(clf.score(Xte, yte))
        hdr = ",".join("f%d" % i for i in range(X.shape[1])) + ",label"
        np.savetxt("train.csv", np.column_stack([Xtr, ytr]), delimiter=",", header=hdr, comments="", fmt="%.6g")
        np.savetxt("test.csv", np.column_stack([Xte, yte]), delimiter=",", header=hdr, comments="", fmt="%.6g")
        subprocess.run([S, "train", "--data", "train.csv", "--target", "label", "--out", "m.safetensors", "--quiet", "--seed", str(seed)], check=True, capture_output=True)
        out = subprocess.run([S, "evaluate", "--model", "m.safetensors", "--data", "test.csv", "--json"], check=True, capture_output=True, text=True).stdout
        sy.append(json.loads(out)["accuracy"])
    print("%-14s sklearn MLPClassifier %.4f   synapse train defaults %.4f   (test accuracy, mean of 3 splits)" % (name, np.mean(sk), np.mean(sy)))
