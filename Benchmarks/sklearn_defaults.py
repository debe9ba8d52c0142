"""Compares `synapse train` with its defaults against scikit-learn's MLPClassifier / MLPRegressor
defaults (after StandardScaler; for the mixed table, one-hot encoding and mean imputation too) on
data sets scikit-learn ships or generates offline, on the same held-out splits: 3 splits of 75/25
(stratified for classification), seeds 0, 1, 2. Prints a Markdown table of test accuracy
(classification) or R² (regression), the mean over the 3 splits.

Run from the repository after `swift build -c release`; needs numpy and scikit-learn.
    python3 Benchmarks/sklearn_defaults.py                 # every data set
    python3 Benchmarks/sklearn_defaults.py iris diabetes   # some of them
Environment: SYNAPSE (the binary, default .build/release/synapse), SYNAPSE_ARGS (extra `train`
flags, e.g. "--validation-split 0.1", to measure another setting). It works in a temporary directory.
For the mixed table Synapse gets `--impute mean`, the counterpart of scikit-learn's
SimpleImputer (without it, `train` refuses missing values, naming the flags); its text column is
one-hot encoded by default, as OneHotEncoder does. A data set that Synapse cannot load is reported
as n/a with the first line of the error, and the others still run."""
import json, os, shlex, subprocess, sys, tempfile, warnings
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.datasets import (load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine, make_classification,
                              make_friedman1, make_moons, make_regression)
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

warnings.filterwarnings("ignore")
SYNAPSE = os.path.abspath(os.environ.get("SYNAPSE", ".build/release/synapse"))
EXTRA = shlex.split(os.environ.get("SYNAPSE_ARGS", ""))


def mixed_table():
    """1 000 rows: two numeric columns with 10 % missing values, a text column (colour) and a
    binary label depending on all three. Returns (columns as a list of arrays, names, y)."""
    rng = np.random.default_rng(7)
    n = 1000
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], size=n)
    effect = np.select([colour == "red", colour == "green"], [1.5, -1.0], 0.0)
    y = (x1 - 0.5 * x2 + effect + rng.normal(scale=0.7, size=n) > 0).astype(int)
    x1[rng.random(n) < 0.1] = np.nan
    x2[rng.random(n) < 0.1] = np.nan
    return [x1, x2, colour], ["x1", "x2", "colour"], y


DATASETS = {
    # name: (kind, loader returning X, y)
    "iris": ("classification", lambda: load_iris(return_X_y=True)),
    "wine": ("classification", lambda: load_wine(return_X_y=True)),
    "breast_cancer": ("classification", lambda: load_breast_cancer(return_X_y=True)),
    "digits": ("classification", lambda: load_digits(return_X_y=True)),
    "moons": ("classification", lambda: make_moons(n_samples=1000, noise=0.3, random_state=0)),
    "make_classification": ("classification", lambda: make_classification(n_samples=2000, n_features=20, n_informative=8,
                                                                           n_classes=3, random_state=0)),
    "mixed (text + missing)": ("mixed", mixed_table),
    "diabetes": ("regression", lambda: load_diabetes(return_X_y=True)),
    "make_regression": ("regression", lambda: make_regression(n_samples=1000, n_features=10, n_informative=8, noise=10,
                                                              random_state=0)),
    "friedman1": ("regression", lambda: make_friedman1(n_samples=1000, noise=1.0, random_state=0)),
}


def write_csv(path, columns, names, y, integer):
    with open(path, "w") as f:
        f.write(",".join(names + ["label"]) + "\n")
        for i in range(len(y)):
            cells = []
            for column in columns:
                value = column[i]
                if isinstance(value, str):
                    cells.append(value)
                else:
                    cells.append("" if np.isnan(value) else "%.6g" % value)
            cells.append("%d" % y[i] if integer else "%.6g" % y[i])
            f.write(",".join(cells) + "\n")


def synapse_score(train, test, seed, kind, flags=()):
    run = subprocess.run([SYNAPSE, "train", "--data", train, "--target", "label", "--out", "m.safetensors", "--quiet",
                          "--seed", str(seed)] + list(flags) + EXTRA, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError((run.stderr.strip().splitlines() or ["exit %d" % run.returncode])[0])
    out = subprocess.run([SYNAPSE, "evaluate", "--model", "m.safetensors", "--data", test, "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError((out.stderr.strip().splitlines() or ["exit %d" % out.returncode])[0])
    result = json.loads(out.stdout)
    return result["r2"] if kind == "regression" else result["accuracy"]


def run(name):
    kind, loader = DATASETS[name]
    if kind == "mixed":
        columns, names, y = loader()
    else:
        X, y = loader()
    sk, sy, error = [], [], None
    for seed in range(3):
        if kind == "mixed":
            index = np.arange(len(y))
            tr, te = train_test_split(index, test_size=0.25, random_state=seed, stratify=y)
            table = np.empty((len(y), 3), dtype=object)
            for j, column in enumerate(columns):
                table[:, j] = column
            encode = ColumnTransformer([("numbers", make_pipeline(SimpleImputer(strategy="mean"), StandardScaler()), [0, 1]),
                                        ("text", OneHotEncoder(handle_unknown="ignore"), [2])])
            model = make_pipeline(encode, MLPClassifier(random_state=seed)).fit(table[tr], y[tr])
            sk.append(model.score(table[te], y[te]))
            write_csv("train.csv", [c[tr] for c in columns], names, y[tr], True)
            write_csv("test.csv", [c[te] for c in columns], names, y[te], True)
            kind_for_synapse, flags = "classification", ["--impute", "mean"]
        else:
            stratify = y if kind == "classification" else None
            Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=stratify)
            estimator = MLPClassifier(random_state=seed) if kind == "classification" else MLPRegressor(random_state=seed)
            model = make_pipeline(StandardScaler(), estimator).fit(Xtr, ytr)
            sk.append(model.score(Xte, yte))   # accuracy, or R² for a regressor
            names = ["f%d" % i for i in range(X.shape[1])]
            write_csv("train.csv", list(Xtr.T), names, ytr, kind == "classification")
            write_csv("test.csv", list(Xte.T), names, yte, kind == "classification")
            kind_for_synapse, flags = kind, []
        if error is None:
            try:
                sy.append(synapse_score("train.csv", "test.csv", seed, kind_for_synapse, flags))
            except RuntimeError as e:
                error = str(e)
    metric = "R²" if kind == "regression" else "accuracy"
    rows = len(y)
    synapse = "n/a (%s)" % error if error else "%.4f" % np.mean(sy)
    print("| %s | %d | %s | %.4f | %s |" % (name, rows, metric, np.mean(sk), synapse), flush=True)


if __name__ == "__main__":
    names = sys.argv[1:] or list(DATASETS)
    unknown = [n for n in names if n not in DATASETS]
    if unknown:
        sys.exit("unknown data set %s; choose among: %s" % (", ".join(unknown), ", ".join(DATASETS)))
    os.chdir(tempfile.mkdtemp(prefix="sklearn_defaults."))
    print("| data set | rows | metric (test, mean of 3 splits) | scikit-learn MLP defaults | synapse train defaults |")
    print("|---|---|---|---|---|")
    for name in names:
        run(name)
