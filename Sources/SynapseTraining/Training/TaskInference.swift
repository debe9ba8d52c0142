import SynapseCore
import SynapseNN
/// What a target column asks a model to learn, decided as `synapse train` decides it: text labels
/// are classes; numbers are classes when they are whole and few (at most 20 distinct values, at
/// least 2 when they came as numbers), else a regression target — unless the caller chooses.
/// Classes found in numbers are renumbered 0, 1, … in numeric order and named as the data spells
/// them (`"3"`, `"0.5"`).
///
/// ```swift
/// let inferred = try TaskInference(targets: data.targets, classNames: csv.classNames, targetName: "species")
/// let model = Model(network, task: inferred.task)
/// model.classNames = inferred.classNames
/// try model.fit(Dataset(features: data.features, targets: inferred.targets), …)
/// ```
public struct TaskInference<Scalar: TensorScalar> {
    /// A task the caller imposes instead of inferring it.
    public enum Choice: String, Sendable, CaseIterable {
        /// Classes, even for many distinct or real values (up to ``ResourceLimits/classes``).
        case classify
        /// One real value per row; text labels cannot be regressed.
        case regress
    }

    /// The task.
    public var task: Model<Scalar>.Task
    /// The class names (index by index), nil for a regression.
    public var classNames: [String]?
    /// The targets to train on: class indices 0..<classes for a classifier, the values for a regression.
    public var targets: Tensor<Scalar>
    /// Why, in words (`classification (3 classes from the text labels in 'species')`).
    public var reason: String

    /// Infers the task of `targets` (class indices when `classNames` is given, as a CSV of text
    /// labels loads; else the values). `targetsAreNumeric`: the values were read as real numbers
    /// (a CSV column of numbers, a float `.npy`), so a single distinct value is a regression, not one class.
    /// - Throws: ``TaskMismatch`` for text labels asked to regress, a single value asked to classify,
    ///   or more classes than ``ResourceLimits/classes``.
    public init(targets: Tensor<Scalar>, classNames: [String]?, targetName: String?, targetsAreNumeric: Bool = true,
                choice: Choice? = nil) throws(TaskMismatch) {
        let column = targetName.map { "'\($0)'" } ?? "the targets"
        if let names = classNames {
            if choice == .regress { throw TaskMismatch(description: "\(column) holds text labels; it cannot be a regression target") }
            (task, self.classNames, self.targets) = (.classification(classes: names.count), names, targets)
            reason = "classification (\(names.count) classes from the text labels in \(column))"
            return
        }
        let values = targets.scalars
        let distinct = Set(values)
        let integral = values.allSatisfy { $0 == $0.rounded() }
        let classify = choice.map { $0 == .classify } ?? (integral && distinct.count <= 20 && (!targetsAreNumeric || distinct.count >= 2))
        guard classify else {
            (task, self.classNames, self.targets) = (.regression(outputs: 1), nil, targets)
            reason = "regression (\(column) holds \(distinct.count) distinct real values)"
            return
        }
        guard distinct.count >= 2 else { throw TaskMismatch(description: "\(column) has a single value: nothing to classify") }
        let limit = ResourceLimits.current.classes
        guard distinct.count <= limit else {
            throw TaskMismatch(description: "\(column) has \(distinct.count) distinct values: more classes than the limit of \(limit) (use --task regress, or raise SYNAPSE_MAX_CLASSES)")
        }
        // Classes in numeric order, named as the data spells them.
        let ordered = distinct.sorted()
        let index = Dictionary(uniqueKeysWithValues: ordered.enumerated().map { ($1, $0) })
        let isIdentity = ordered.enumerated().allSatisfy { Scalar($0.offset) == $0.element }
        task = .classification(classes: ordered.count)
        self.classNames = ordered.map { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int($0)) : String(describing: $0) }
        self.targets = isIdentity ? targets : Tensor(values.map { Scalar(index[$0] ?? 0) })
        reason = "classification (\(ordered.count) classes from the \(choice == nil ? "small-integer " : "")values in \(column))"
    }
}
